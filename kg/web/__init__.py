"""The web face of the graph: `kg serve`, a SPARQL 1.1 Protocol endpoint over the embedded store."""

from kg.web.server import ServeConfig, SparqlServer, describe_service, serve

__all__ = ["ServeConfig", "SparqlServer", "describe_service", "serve"]
