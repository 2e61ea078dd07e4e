"""Product recommendations: implicit ALS blended with a session item-to-item model, ranked by
a JVM-free numpy pyfunc. Nothing is imported here: the package also travels with each
registered version as the served code."""
