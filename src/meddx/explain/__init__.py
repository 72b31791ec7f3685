"""Explanations of predictions (token attributions now; CAMs and faithfulness as they land)."""
