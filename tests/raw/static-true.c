/* SPDX-License-Identifier: MIT */
/* A statically linked program: `anyring run --emulate` must warn for it. */
int main(void)
{
	return 0;
}
