"""Cloud coordinator: Temporal workflows, activities, adapters, the edge gateway and ops CLI."""
