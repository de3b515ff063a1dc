"""Amazon Connect records: :func:`~feeds.adapters.connect.mapping.map_connect_record` maps one
parsed record (the HTTP ingest's path), :func:`~feeds.adapters.connect.importer.
import_connect_records` imports files of them."""
