"""Will this session end in a purchase: a Spark random forest (or GBT) on leak-free session
features, served as flattened numpy trees. Nothing is imported here: the package also travels
with each registered version as the served code."""
