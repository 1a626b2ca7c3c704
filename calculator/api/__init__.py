"""The JSON API: price a document, list the rate cards, and the OpenAPI description."""
