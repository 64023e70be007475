"""The client package: channels with the caller's token, paging, error text, local tokens and
the results document. The CLI, the demo, the workflows' activities, peer services and the
results report reach the services through it."""
