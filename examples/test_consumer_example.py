"""Testing your consumer against the simulated Marketo producer, on the virtual clock.

    pytest -p simulator.pytest_plugin examples/test_consumer_example.py

The app runs in the test's own event loop, so simulated minutes take milliseconds.
"""

import pytest
from good_consumer import create_app

RUN = """
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
    rate: 10                      # events per second
    auth: {type: token, tokenEnv: SIM_TOKEN}
    delivery: {phase: aligned}    # pushes at 0, 2, 4 s: whole minutes count exactly
"""


@pytest.mark.asyncio  # pytest-asyncio runs it (no ini setting needed)
@pytest.mark.looptime  # virtual time: the clock jumps whenever the loop is idle
async def test_the_consumer_takes_a_burst_and_keeps_up(marketo_producer):
    sim = await marketo_producer(RUN, app=create_app(token="s3cret"), env={"SIM_TOKEN": "s3cret"})

    await sim.advance(60)  # a simulated minute: a push of 20 events every 2 s
    sim.emit("leads", 5000)  # a campaign burst, now
    await sim.advance(60)

    ledger = sim.ledger("leads")
    assert ledger.balanced  # every event produced is somewhere
    assert (ledger.produced, ledger.acknowledged) == (6200, 6200)
    sim.assert_all_acknowledged("leads")  # on failure: the ledger and the failed attempts
    sim.assert_no_failed_attempts("leads")
    assert sim.state("leads") == "active"

    async with sim.client() as http, http.get(sim.url + "processed") as response:
        processed = (await response.json())["processed"]  # the consumer's own record
    assert len(processed) == len(set(processed)) == 6200
