"""Activities: the side effects of workflows, as methods on classes that receive their ports."""
