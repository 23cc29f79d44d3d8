"""The knowledge base (표준상담DB): `base` searches it, `index` and `tokenizer` are the search
(one analyser per language: `korean`, `english`, `cjk`, `vietnamese`, `mongolian`, sharing
`terms`), `files` reads import files, `memory` holds articles without a database. Its
storage is `store.knowledge`, its HTTP API `hub.api.knowledge`."""
