"""After the sitting (S3, S4): the register of decisions, their signature and distribution."""
