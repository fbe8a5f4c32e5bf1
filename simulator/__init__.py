"""Marketo Engage Data Streams producer simulator."""
