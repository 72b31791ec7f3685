"""Core types shared by every stage: errors, paths under the data root, name registries."""
