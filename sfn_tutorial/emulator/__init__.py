"""The local target: an AWS emulator built on moto's server, extended where moto falls short."""
