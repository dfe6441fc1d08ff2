using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Webhooks.AspNetCore.Owners;

/// <summary>The default resolver: the authenticated user's id claim, else their <c>sub</c> claim.</summary>
internal sealed class ClaimsWebhookOwnerResolver(IOptions<WebhookEndpointOptions> options) : IWebhookOwnerResolver
{
    public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return ValueTask.FromResult<string?>(null);
        }

        var id = user.FindFirst(options.Value.OwnerClaimType)?.Value ?? user.FindFirst("sub")?.Value;
        return ValueTask.FromResult(string.IsNullOrWhiteSpace(id) ? null : id);
    }
}
