"""Generated protobuf contracts of the Ameide platform (namespace root)."""
