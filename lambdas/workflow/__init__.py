"""The training workflow: the params contract, resource naming, the metrics gate and one handler per Task state."""
