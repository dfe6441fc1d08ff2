using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Subscriptions;

public sealed class SubscriptionRuleTests
{
    /// <summary>Seed 002's rule: a subscription targets one resource, which cannot change.</summary>
    private sealed class OneResourceRule : IWebhookSubscriptionRule
    {
        public ValueTask ValidateAsync(WebhookSubscriptionRuleContext context, CancellationToken cancellationToken)
        {
            var resources = context.Proposed.Events.Select(e => e.Split('.')[0]).Distinct().ToList();
            if (resources.Count != 1)
            {
                context.AddError("events", "All events must belong to one resource.");
            }
            else if (context.Current is not null && context.Current.Events[0].Split('.')[0] != resources[0])
            {
                context.AddError("events", "The resource of a subscription cannot change; delete it and create a new one.");
            }

            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task AppRule_RefusesCreateAndUpdateWithFieldError()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddResource("order").AddResource("contact").AddSubscriptionRule<OneResourceRule>(), start: false);
        var manager = host.Subscriptions;

        var mixed = () => manager.CreateAsync("u", new WebhookSubscriptionDefinition { Name = "m", Url = "https://example.com/h", Events = ["order.created", "contact.created"] });
        (await mixed.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["events"].Should().Equal("All events must belong to one resource.");

        var created = await manager.CreateAsync("u", new WebhookSubscriptionDefinition { Name = "o", Url = "https://example.com/h", Events = ["order.created"] });
        (await manager.UpdateAsync("u", created.Subscription.Id, new WebhookSubscriptionPatch { Events = ["order.created", "order.updated"] }))!.Version.Should().Be(2);
        var change = () => manager.UpdateAsync("u", created.Subscription.Id, new WebhookSubscriptionPatch { Events = ["contact.created"] });
        (await change.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["events"].Single().Should().Contain("cannot change");
    }
}
