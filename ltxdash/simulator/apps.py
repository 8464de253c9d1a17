from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "ltxdash.simulator"
    label = "simulator"
