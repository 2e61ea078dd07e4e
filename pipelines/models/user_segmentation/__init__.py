"""Visitor segments: KMeans on log-scaled, standardised visitor aggregates, named from each
cluster's profile, served as a nearest-centroid numpy pyfunc. Nothing is imported here: the
package also travels with each registered version as the served code."""
