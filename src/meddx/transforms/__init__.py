"""Preprocessing that learns statistics on the training split (fit -> transform), and augmentation."""
