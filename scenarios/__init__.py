"""The shipped scenarios, sweep specs, mappings of other systems' exports and the seed's cases.

Installed as package data of streetchief (`streetchief.scenarios`), so that a non-editable install
and a Dask worker on another machine find them; `streetchief.scenario.shipped()` is their folder.
"""
