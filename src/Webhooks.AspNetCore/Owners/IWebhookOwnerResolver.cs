using Microsoft.AspNetCore.Http;

namespace Webhooks.AspNetCore.Owners;

/// <summary>
/// Decides, for each request to the management endpoints, whose subscriptions the caller manages:
/// a user id, a tenant id, an organisation id. A caller sees and changes only that owner's
/// subscriptions, and the app publishes events for the same owner
/// (<c>new WebhookPublishOptions { Owner = ... }</c>). The default reads the user's id claim
/// (<see cref="WebhookEndpointOptions.OwnerClaimType"/>); replace it with
/// <c>AddOwnerResolver&lt;T&gt;()</c>, for example to resolve the caller's tenant.
/// </summary>
public interface IWebhookOwnerResolver
{
    /// <summary>Resolves the owner of the subscriptions the caller may manage.</summary>
    /// <param name="context">The request, after authentication and authorization.</param>
    /// <param name="cancellationToken">Cancels the resolution (the request was aborted).</param>
    /// <returns>
    /// The owner id, or <see langword="null"/> when the caller has none: the request is then
    /// answered 403. App-level (ownerless) subscriptions are managed from code, not over HTTP.
    /// </returns>
    ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken);
}
