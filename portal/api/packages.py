"""``/api/v1/packages`` (202 + job) and ``/api/v1/jobs/<id>``: packages built in the background."""

from __future__ import annotations

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue

from portal.api import api_bp, json_body
from portal.api import models as m
from portal.api.schema import operation
from portal.errors import ValidationError
from portal.services.distribution import packages
from portal.services.distribution import signed_links as package_links
from portal.web.context import runtime, viewer


def _status(package_id: int) -> dict[str, object]:
    rt = runtime()
    with rt.db.session() as session:
        package = packages.get_package(session, viewer(), package_id)
        data = package_links.package_status(session, package)
        data["report"] = [
            {
                "line": line.line_no,
                "input": line.input,
                "article_number": line.article_number,
                "status": line.status,
                "message": line.message,
                "files": line.files,
            }
            for line in package.report
        ]
        if package.status == "done":
            if package.kind == "zip":
                token = package_links.token_for(rt, package.id)
                data["download_url"] = url_for("packages.download", token=token, _external=True)
            data["links_csv_url"] = url_for(
                "packages.link_table", package_id=package.id, fmt="csv", _external=True
            )
            data["links_xlsx_url"] = url_for(
                "packages.link_table", package_id=package.id, fmt="xlsx", _external=True
            )
        data["status_url"] = url_for("api.get_job", job_id=package.id, _external=True)
        return data


@api_bp.post("/packages")
@operation(responses={202: m.JobCreated}, body=m.PackageCreate, errors=(403,))
def create_package() -> ResponseReturnValue:
    """Start a package: ``{"articles": [...], "presets": ["web"], "template": "...", "kind": "zip|links"}``
    (or ``"asset_ids": [...]`` for a selection). Answers 202 with the job to poll."""
    body = json_body()
    articles, asset_ids = body.get("articles"), body.get("asset_ids")
    if asset_ids is not None:
        if not isinstance(asset_ids, list) or not all(isinstance(i, int) for i in asset_ids):
            raise ValidationError("asset_ids must be a list of integers")
        lines, source = [str(i) for i in asset_ids], "selection"
    elif isinstance(articles, list) and all(isinstance(a, str | int) for a in articles):
        lines, source = [str(a).strip() for a in articles if str(a).strip()], "list"
    else:
        raise ValidationError("send articles (a list of article numbers) or asset_ids")
    presets = body.get("presets", ["web"])
    if not isinstance(presets, list) or not all(isinstance(p, str) for p in presets):
        raise ValidationError("presets must be a list of preset names")
    template = body.get("template", packages.DEFAULT_TEMPLATE)
    kind = body.get("kind", "zip")
    if not isinstance(template, str) or not isinstance(kind, str):
        raise ValidationError("template and kind must be strings")
    with runtime().db.transaction() as session:
        package = packages.create_package(
            session, viewer(), lines=lines, presets=presets, template=template, kind=kind, source=source
        )
        package_id = package.id
    data = _status(package_id)
    response = jsonify({"job": data})
    response.status_code = 202
    response.headers["Location"] = str(data["status_url"])
    return response


@api_bp.get("/jobs/<int:job_id>")
@operation(responses={200: m.Job})
def get_job(job_id: int) -> ResponseReturnValue:
    """A package job: status, progress, report and (when done) its signed download URL."""
    return jsonify(_status(job_id))


@api_bp.get("/packages/<int:package_id>")
@operation(responses={200: m.Job})
def get_package(package_id: int) -> ResponseReturnValue:
    """The same as the job, under the package's own address."""
    return jsonify(_status(package_id))
