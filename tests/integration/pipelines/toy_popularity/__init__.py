"""A toy fourth model (the most-viewed items), added the way docs/architecture.md says: one
package with a spec, registered in a test. Nothing is imported here: the package travels with
its versions as served code."""
