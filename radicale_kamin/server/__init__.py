"""The Radicale shell: storage plugin, side index, state store, auth, rights, WSGI, privacy, compat."""
