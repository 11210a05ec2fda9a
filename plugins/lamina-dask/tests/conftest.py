import pytest


@pytest.fixture(scope="session")
def cluster():
    """One real cluster for the whole session: two worker processes of one thread each,
    on loopback (starting one costs seconds)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  worker_dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture
def client(cluster):
    import distributed

    with distributed.Client(cluster, set_as_default=True) as client:
        client.wait_for_workers(2, timeout=60)
        yield client
