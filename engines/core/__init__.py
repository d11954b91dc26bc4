"""The protocol and hosting: events, runtime, parameters, registry, worker, devices, recording, downloads."""
