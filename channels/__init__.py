"""The channels citizens reach the hub by, one package each, all of one shape (README.md);
`channels.registry` finds them."""
