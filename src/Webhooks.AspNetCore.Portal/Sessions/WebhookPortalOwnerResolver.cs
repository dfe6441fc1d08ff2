using Microsoft.AspNetCore.Http;
using Webhooks.AspNetCore.Owners;

namespace Webhooks.AspNetCore.Portal.Sessions;

/// <summary>
/// Wraps the app's owner resolver: a request the portal's authorization step admitted with an
/// access-link session acts for the link's owner; every other request is resolved by the app's own
/// resolver, unchanged. Whatever claims the app's resolver reads, a link names its owner exactly.
/// </summary>
internal sealed class WebhookPortalOwnerResolver(IWebhookOwnerResolver inner) : IWebhookOwnerResolver
{
    public IWebhookOwnerResolver Inner => inner;

    public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<WebhookPortalSession>() is { } session
            ? ValueTask.FromResult<string?>(session.Grant.Owner)
            : inner.ResolveOwnerAsync(context, cancellationToken);
    }
}
