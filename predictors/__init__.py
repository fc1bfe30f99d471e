"""Performance predictors (fit/predict on architectures). The protocol and the predictors land
with the predictors issue; BANANAS brings the first one."""
