"""`make demo`: a local stack with a real agent, showing each capability on embedded defaults.

Composition room: `stack` runs the demo; `bundles`, `domains` and `realtime` add the version
bundle, the custom domain and the real-time decision to it.
"""
