"""fit(): the Lightning Trainer, callbacks, checkpoint/resume, seeds, multi-process strategy."""
