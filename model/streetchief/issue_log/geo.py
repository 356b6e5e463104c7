"""Zones from points: which GeoJSON polygon (a zone) holds each issue's latitude and longitude."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from streetchief.errors import IssueLogError

WHAT = "zone polygons"
MAX_BYTES = 256 * 2**20  # a city's zone outlines; past this it is not a file of zones


def _overlaps(names: list[str], geometries: list) -> list[str]:
    """Pairs of zones whose polygons share an area (not only an edge), in words."""
    import shapely

    tree = shapely.STRtree(geometries)
    a, b = tree.query(geometries, predicate="overlaps")
    pairs = sorted({(min(i, j), max(i, j)) for i, j in zip(a, b, strict=True) if i != j})
    return [f"{names[i]!r} and {names[j]!r}" for i, j in pairs]


@dataclass
class ZonePolygons:
    """The zones of a GeoJSON FeatureCollection: one (Multi)Polygon per feature, named by a
    property. A point on a shared edge goes to the first feature in the file."""

    source: str
    names: list[str]
    geometries: list
    overlaps: list[str] = field(default_factory=list)  # pairs sharing an area, in words

    @classmethod
    def load(cls, path: Path, prop: str) -> ZonePolygons:
        import shapely
        from shapely.geometry import shape

        from streetchief.inputs import InputTooLarge, read_bytes

        source = str(path)
        try:
            data = json.loads(read_bytes(path, MAX_BYTES).decode("utf-8-sig"))
        except InputTooLarge as e:
            raise IssueLogError(source, [f"cannot read the zone polygons: {e}"], WHAT) from None
        except OSError as e:
            raise IssueLogError(
                source, [f"cannot read the zone polygons: {e.strerror or e}"], WHAT
            ) from None
        except (UnicodeDecodeError, ValueError) as e:
            raise IssueLogError(source, [f"not valid UTF-8 GeoJSON ({e})"], WHAT) from None
        except RecursionError:
            raise IssueLogError(source, ["nested too deeply to be GeoJSON"], WHAT) from None
        features = data.get("features") if isinstance(data, dict) else None
        if not isinstance(features, list) or not features:
            raise IssueLogError(source, ["must be a GeoJSON FeatureCollection with features"], WHAT)
        names, geometries, problems = [], [], []
        for k, f in enumerate(features):
            where = f"features[{k}]"
            props = (f or {}).get("properties") or {} if isinstance(f, dict) else {}
            if prop not in props or props[prop] in (None, ""):
                problems.append(f"{where}: no property {prop!r} naming its zone")
                continue
            try:
                with warnings.catch_warnings():  # a NaN coordinate: said below, in words
                    warnings.simplefilter("ignore", RuntimeWarning)
                    g = shape(f["geometry"])
            except Exception as e:  # shapely raises several kinds on bad geometry
                problems.append(f"{where} ({props[prop]}): not a geometry ({e})")
                continue
            if g.geom_type not in ("Polygon", "MultiPolygon"):
                problems.append(f"{where} ({props[prop]}): a {g.geom_type}, not a polygon")
                continue
            if not np.isfinite(shapely.get_coordinates(g)).all():
                problems.append(f"{where} ({props[prop]}): a coordinate is not a finite number")
                continue
            if not g.is_valid:
                problems.append(
                    f"{where} ({props[prop]}): not a valid polygon ({shapely.is_valid_reason(g)}); "
                    "fix its outline (a polygon must not cross itself)"
                )
                continue
            names.append(str(props[prop]))
            geometries.append(g)
        if problems:
            raise IssueLogError(source, problems, WHAT)
        return cls(source, names, geometries, _overlaps(names, geometries))

    def locate(self, latitude: pd.Series, longitude: pd.Series) -> np.ndarray:
        """The zone holding each point (longitude, latitude in degrees); None where there is no
        usable point (empty, not a number, out of range, or 0, 0) or no polygon holds it."""
        import shapely

        lat = pd.to_numeric(pd.Series(latitude), errors="coerce").to_numpy(float)
        lon = pd.to_numeric(pd.Series(longitude), errors="coerce").to_numpy(float)
        ok = (
            np.isfinite(lat)
            & np.isfinite(lon)
            & (np.abs(lat) <= 90)
            & (np.abs(lon) <= 180)
            & ~((lat == 0) & (lon == 0))  # 0, 0 stands for "no location" in many exports
        )
        out = np.full(len(lat), None, dtype=object)
        if not ok.any():
            return out
        idx = np.flatnonzero(ok)
        points = shapely.points(lon[idx], lat[idx])
        tree = shapely.STRtree(self.geometries)
        which, poly = tree.query(points, predicate="intersects")
        if len(which):
            # several polygons may hold a point on their edge: the first in the file wins
            order = np.lexsort((poly, which))
            which, poly = which[order], poly[order]
            first = np.concatenate([[True], which[1:] != which[:-1]])
            names = np.asarray(self.names, dtype=object)
            out[idx[which[first]]] = names[poly[first]]
        return out
