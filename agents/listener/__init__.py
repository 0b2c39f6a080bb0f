"""The trained listener: SmolLM2-135M-Instruct with a LoRA adapter fine-tuned on EmpatheticDialogues
listener replies, conditioned on the emotion agent's reading."""
