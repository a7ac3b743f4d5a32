"""`nntc-opt`: run pass pipelines on nntc IR, like mlir-opt and xdsl-opt."""

from collections.abc import Sequence

from xdsl.xdsl_opt_main import xDSLOptMain


class NntcOptMain(xDSLOptMain):
    version_format = "nntc-opt (xdsl {xdsl_version})"

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        from nntc.dialects import get_all_dialects

        known = set(self.ctx.registered_dialect_names)
        for name, factory in get_all_dialects().items():
            if name not in known:
                self.ctx.register_dialect(name, factory)

    def register_all_passes(self) -> None:
        super().register_all_passes()
        from nntc.passes import get_all_passes

        for name, factory in get_all_passes().items():
            self.register_pass(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        from nntc.targets import get_all_targets

        self.available_targets.update(get_all_targets())


def main(args: Sequence[str] | None = None) -> None:
    NntcOptMain(description="nntc modular optimizer driver", args=args).run()


if __name__ == "__main__":
    main()
