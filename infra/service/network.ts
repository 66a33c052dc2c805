/**
 * Where the bot's task runs: the given VPC and subnets, or the account's default VPC.
 *
 * The default VPC's subnets are public: their way out is an internet gateway, which carries only the traffic
 * of an address with a public IP. A task there needs `assignPublicIp: true` to pull its image from ECR, read
 * its secrets and write its logs (the config defaults it to true there and refuses false: config/rules.ts).
 * Given subnets are taken to be private, with a NAT gateway or the VPC endpoints the task needs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A VPC and subnets of it. */
export interface Network {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
}

export interface Placement {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;
}

/** Lookups only (invokes); creates nothing. `network` undefined: the default VPC and its subnets. */
export function resolvePlacement(network: Network | undefined, opts?: pulumi.InvokeOutputOptions): Placement {
  if (network !== undefined) {
    return { vpcId: pulumi.output(network.vpcId), subnetIds: pulumi.output([...network.subnetIds]) };
  }
  const vpc = aws.ec2.getVpcOutput({ default: true }, opts);
  const subnets = aws.ec2.getSubnetsOutput({ filters: [{ name: "vpc-id", values: [vpc.id] }] }, opts);
  return { vpcId: vpc.id, subnetIds: subnets.ids };
}
