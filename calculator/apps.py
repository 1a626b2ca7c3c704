from django.apps import AppConfig


class CalculatorConfig(AppConfig):
    name = "calculator"
    verbose_name = "Cost calculator"

    def ready(self) -> None:
        from calculator.server import logredact

        logredact.install()
