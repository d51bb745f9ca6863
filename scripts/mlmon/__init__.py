"""mlmon: production ML model monitoring (drift, performance, alerting, experiments, RCA)."""

__version__ = "0.1.0"
