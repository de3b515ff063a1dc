"""The pages, one package each: layout, view-model, callbacks, script and styles together."""
