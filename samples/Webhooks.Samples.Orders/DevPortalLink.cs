using Webhooks.AspNetCore.Portal;

namespace Webhooks.Samples.Orders;

/// <summary>
/// Development only: <c>GET /dev/portal-link?owner=alice</c> (optional <c>&amp;readOnly=true</c>,
/// <c>&amp;minutes=60</c>) answers with an access link to the webhooks portal for that owner, the way
/// the app would e-mail one to a customer who has no login here. Open it in a browser.
/// </summary>
internal static class DevPortalLink
{
    public static IEndpointRouteBuilder MapDevPortalLink(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dev/portal-link", async (string? owner, bool? readOnly, int? minutes, IWebhookPortalLinks links) =>
        {
            if (string.IsNullOrWhiteSpace(owner))
            {
                return Results.Problem(statusCode: 400, title: "Name an owner.", detail: "Add ?owner=alice (the owner whose webhooks the link opens).");
            }

            if (minutes is < 1 or > 7 * 24 * 60)
            {
                return Results.Problem(statusCode: 400, title: "minutes is out of range.", detail: "A link lives 1 minute to 7 days (10080 minutes); omit minutes for 1 hour.");
            }

            var link = await links.CreateAsync(owner, minutes is { } m ? TimeSpan.FromMinutes(m) : null, readOnly ?? false);
            return Results.Text($"{link.Url}\n", "text/plain");
        })
        .AllowAnonymous()
        .WithTags("Development")
        .WithName("DevPortalLink")
        .WithSummary("Development: an access link to the webhooks portal");
        return app;
    }
}
