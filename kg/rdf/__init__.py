"""Case records to RDF: the vocabulary and pure conversion, no I/O."""
