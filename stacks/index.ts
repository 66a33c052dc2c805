/**
 * Entry point: reads the stack config once, validates it, then composes the stack for its role.
 * Bad config throws here, before any resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "../infra/config/source";
import { buildStack } from "./build";
import { promoteStack } from "./promote";

export = async (): Promise<Record<string, pulumi.Input<unknown>>> => {
  const config = readStackConfig();
  return config.role === "build" ? buildStack(config) : promoteStack(config);
};
