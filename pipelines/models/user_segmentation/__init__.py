"""Visitor segments: funnel rules for every visitor, and KMeans of engaged visitors in a space of
capped log counts and funnel flags (:mod:`.space`), named from each cluster's members, served as
a nearest-centroid numpy pyfunc. Nothing is imported here: the package also travels with each
registered version as the served code."""
