"""Places where moto (and the botocore beneath it) hold memory they need not, made small.

Measured with tracemalloc in the emulator after notebooks 00-11: most of its Python memory was
JSON parsed by botocore, much of it more than once. Every botocore session has a loader of its
own with its own cache, and moto makes sessions as it goes (three while importing EC2, one for
each service's list of regions), each of which parsed ``endpoints.json`` (9 MB once parsed)
again. Sessions now share the files that are not a service's model, so each is parsed once.

moto lists each service's regions when its backend is first used, with botocore's
``get_available_regions``, which parses the whole service model (EC2's: 15 MB) to read one
field, ``endpointPrefix``, and moto's session keeps every model it parsed for good. The field is
now read from the first lines of the model's file.

moto finds a request's account by its access key, looking in the IAM backend of every AWS
partition, and a backend is made when first looked in: each of the six partitions' IAM backends,
with the ~1,300 AWS managed policies each loads (21 MB), was made by the first request. It now
looks only in the backends that exist.

Importing moto's EC2 backend (which ECS imports) parsed the instance types offered in every
location of every region, 50 MB of Python objects that only ``DescribeInstanceTypeOfferings``,
``RunInstances`` and ``DescribeSpotPriceHistory`` read. A region's offerings are now read on
first use.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading

import botocore.loaders

from sfn_tutorial.emulator import patching, service_models

INSTANCE_TYPES_MODULE = "moto.ec2.models.instance_types"


def apply() -> None:
    """Share one botocore loader; read EC2's instance type offerings on first use. Call before
    moto's backends are first used."""
    _botocore_sessions_share_one_loader()
    _regions_are_listed_without_service_models()
    patching.when_imported("moto.iam.models", _accounts_are_found_without_making_backends)
    _instance_type_offerings_load_on_first_use()


def _botocore_sessions_share_one_loader() -> None:
    """botocore makes a loader (and so a cache of parsed files) per session; the files that
    are not a service's model (``endpoints``, ``partitions``...) are now parsed once for every
    session. Service models stay each session's own: botocore changes them as it uses them (an
    S3 call takes ``{Bucket}`` out of its operation's ``requestUri``)."""
    import botocore.session

    original = botocore.session.create_loader

    def create_loader(search_path_string=None):
        loader = original(search_path_string)
        loader.__class__ = _SharedDataLoader
        return loader

    botocore.session.create_loader = create_loader


class _SharedDataLoader(botocore.loaders.Loader):
    """A session's loader that takes the data files every session reads alike (``endpoints``,
    ``partitions``: names without a ``/``, unlike a service's ``s3/2006-03-01/service-2``) from
    one cache."""

    _shared: dict = {}
    _lock = threading.Lock()

    def load_data(self, name: str):
        if "/" in name:
            return super().load_data(name)
        key = (tuple(self.search_paths), name)
        with self._lock:
            if key not in self._shared:
                self._shared[key] = super().load_data(name)
            return self._shared[key]


def _regions_are_listed_without_service_models() -> None:
    """A service's regions, as botocore's ``get_available_regions`` lists them in every
    partition, from ``endpoints.json`` and the service's ``endpointPrefix`` alone."""
    import botocore.regions
    import botocore.session
    from moto.core.base_backend import AccountSpecificBackend

    @functools.cache
    def regions(service_name: str) -> tuple[str, ...]:
        prefix = service_models.endpoint_prefix(service_name)
        if prefix is None:  # botocore: a service it does not know has no regions
            return ()
        resolver = botocore.regions.EndpointResolver(
            botocore.session.Session().get_data("endpoints")  # parsed once for every session
        )
        return tuple(
            region
            for partition in resolver.get_available_partitions()
            for region in resolver.get_available_endpoints(prefix, partition)
        )

    def generate_regions(self, service_name: str) -> list[str]:
        return list(regions(service_name))

    AccountSpecificBackend._generate_regions = generate_regions


def _accounts_are_found_without_making_backends() -> None:
    """``get_account_id_from`` looks for the access key in the IAM backends that exist only:
    one that does not exist yet holds no access key."""
    import moto.iam.models as iam

    def get_account_id_from(access_key: str) -> str:
        for _, account in list(iam.iam_backends.items()):
            for backend in list(account.values()):
                if access_key in backend.access_keys:
                    return backend.account_id
        return iam.DEFAULT_ACCOUNT_ID

    patching.replace_everywhere(iam, "get_account_id_from", get_account_id_from)


def _instance_type_offerings_load_on_first_use() -> None:
    """moto's ``instance_types`` module reads every offerings file when it is imported; it now
    finds none then, and its ``INSTANCE_TYPE_OFFERINGS`` reads a region's file when asked for it."""
    patching.while_importing(INSTANCE_TYPES_MODULE, _offerings_not_listed)
    patching.when_imported(INSTANCE_TYPES_MODULE, _offerings_read_on_first_use)


@contextlib.contextmanager
def _offerings_not_listed():
    """While moto's module imports: its folder of offerings looks empty (it lists the folder with
    ``listdir``, which it takes from ``os`` as it imports)."""
    original = os.listdir

    def listdir(path="."):
        if os.fspath(path).replace(os.sep, "/").endswith("resources/instance_type_offerings"):
            return []
        return original(path)

    os.listdir = listdir
    try:
        yield
    finally:
        os.listdir = original


def _offerings_read_on_first_use() -> None:
    import sys

    from moto.utilities.utils import load_resource

    module = sys.modules[INSTANCE_TYPES_MODULE]
    module.listdir = os.listdir  # its own name for it, taken while the folder looked empty
    folder = module.root / module.offerings_path
    for location_type in os.listdir(folder):
        files = {name.split(".")[0]: name for name in os.listdir(folder / location_type)}
        module.INSTANCE_TYPE_OFFERINGS[location_type] = RegionOfferings(
            location_type, files, lambda path: load_resource(f"ec2/{module.offerings_path}/{path}")
        )


class RegionOfferings(dict):
    """The offerings of one location type, by region, each region read from its file the first
    time it is asked for (``[region]``, ``.get(region)``, or any listing of them all)."""

    def __init__(self, location_type: str, files: dict[str, str], load) -> None:
        super().__init__()
        self._location_type = location_type
        self._files = files  # region -> file name
        self._load = load
        self._lock = threading.Lock()

    def __missing__(self, region: str):
        if region not in self._files:
            raise KeyError(region)
        with self._lock:
            if not dict.__contains__(self, region):
                offerings = self._load(f"{self._location_type}/{self._files[region]}")
                for offering in offerings:
                    offering["LocationType"] = self._location_type
                dict.__setitem__(self, region, offerings)
            return dict.__getitem__(self, region)

    def get(self, region, default=None):
        try:
            return self[region]
        except KeyError:
            return default

    def __contains__(self, region) -> bool:
        return region in self._files

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self):
        return iter(self._files)

    def keys(self):
        return self._files.keys()

    def items(self):
        return [(region, self[region]) for region in self._files]

    def values(self):
        return [self[region] for region in self._files]
