namespace Webhooks.Core.Subscriptions;

/// <summary>A subscription together with its secret in full: returned only by create and rotate.</summary>
/// <param name="Subscription">The stored subscription (secrets in full).</param>
/// <param name="Secret">The current secret; show it to the user once.</param>
public sealed record WebhookSubscriptionWithSecret(WebhookSubscription Subscription, string Secret);
