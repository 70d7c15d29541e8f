"""Hostile (by accident): does not compile."""
import socket

def main(port)
    s = socket.socket()
