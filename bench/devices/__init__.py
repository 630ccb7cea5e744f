"""What drives a station's hardware: drivers behind one interface, picked by name.

``base`` defines the interface, ``registry`` finds drivers by name, ``serial``
holds the serial protocol drivers, ``emulators`` the devices the tests (and
users without hardware) put on the other end of a pseudo-terminal.
"""
