"""The knowledge base (표준상담DB): `base` searches it, `index` and `tokenizer` are the search,
`files` reads import files. Its storage is `store.knowledge`, its HTTP API `hub.api.knowledge`."""
