"""Fakes of the services rada does not own, speaking their real protocols."""
