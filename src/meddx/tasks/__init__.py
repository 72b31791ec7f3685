"""What is predicted: each task is a LightningModule holding loss, outputs and metrics."""
