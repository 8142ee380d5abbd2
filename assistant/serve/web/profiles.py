"""The profile tab: a company's profile as a report in the page, with its JSON, Markdown and HTML files."""

from __future__ import annotations

import html

import gradio as gr

from assistant.serve.web.context import WebContext, bound, links, message


def show_profile(ctx: WebContext, company: str, request: gr.Request) -> tuple[str, str]:
    """The profile report (an HTML frame) and the download links of its files."""
    from assistant.profile.render import render

    try:
        with ctx.acting(request, "profile_view") as (principal, note):
            profile = ctx.portal.profile(principal, company, note)
            folder = ctx.user_dir(principal)
            files = []
            for fmt in ("json", "md", "html"):
                name = f"profile.{fmt}"
                (folder / name).write_text(render(profile, fmt), encoding="utf-8")
                files.append((ctx.access.add_file(request, folder / name, name), name))
    except Exception as exc:
        return f"<p class='not-found'>⚠ {html.escape(message(exc))}</p>", ""
    report = render(profile, "html")
    frame = f"<iframe title='profile' srcdoc=\"{html.escape(report, quote=True)}\"></iframe>"
    return frame, links(files)


def profile_tab(ctx: WebContext) -> gr.Dropdown:
    """The tab's components and events; returns its company choice (filled when the page loads)."""
    company = gr.Dropdown(
        choices=[], label="Company / 企业", elem_id="profile-company", allow_custom_value=True
    )
    show = gr.Button("Show profile / 查看画像", variant="primary", elem_id="show-profile")
    downloads = gr.HTML(elem_id="profile-downloads")
    report = gr.HTML(elem_id="profile-report")
    show.click(bound(ctx, show_profile), [company], [report, downloads], api_name="profile")
    return company
