// MeteorOracle scores segments with Meteor 1.5 built from its public source
// (github.com/cmu-mtlab/meteor) to produce the numbers the metrics tests
// expect. NOT part of the kit; compile against Meteor's classes:
//   javac -cp METEOR/build -d /tmp/mo MeteorOracle.java
//   java -cp /tmp/mo:METEOR/build:METEOR/resources MeteorOracle score MODULES WORDFILE SYNDIR < lines
// Each input line is "ref1 ||| ... ||| refN ||| hyp" (the coco-caption
// wrapper's SCORE line without "SCORE"). Output: one line per segment with
// its score and sufficient statistics, then "FINAL <score>" computed from
// the statistics summed with MeteorStats.addStats (what the coco jar's
// multi-segment EVAL prints last). Mode "stem" prints the Snowball English
// stem of each input line.
import java.io.*;
import java.net.URL;
import java.util.*;
import edu.cmu.meteor.scorer.*;
import edu.cmu.meteor.util.Constants;
import org.tartarus.snowball.ext.englishStemmer;

public class MeteorOracle {
	public static void main(String[] args) throws Exception {
		BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
		PrintStream out = new PrintStream(System.out, true, "UTF-8");
		if (args[0].equals("stem")) {
			englishStemmer st = new englishStemmer();
			String w;
			while ((w = in.readLine()) != null) {
				st.setCurrent(w);
				st.stem();
				out.println(st.getCurrent());
			}
			return;
		}
		MeteorConfiguration config = new MeteorConfiguration();
		config.setLanguage("en");
		config.setNormalization(Constants.NORMALIZE_KEEP_PUNCT);
		config.setModulesByName(new ArrayList<String>(Arrays.asList(args[1].split(","))));
		ArrayList<Double> w = new ArrayList<Double>();
		double[] all = {1.0, 0.6, 0.8, 0.6};
		for (int i = 0; i < config.getModules().size(); i++) w.add(all[i]);
		config.setModuleWeights(w);
		if (!args[2].equals("-")) config.setWordFileURL(new File(args[2]).toURI().toURL());
		if (!args[3].equals("-")) config.setSynDirURL(new File(args[3]).toURI().toURL());
		MeteorScorer scorer = new MeteorScorer(config);
		MeteorStats agg = new MeteorStats();
		String line;
		while ((line = in.readLine()) != null) {
			String[] part = line.split("\\|\\|\\|");
			ArrayList<String> refs = new ArrayList<String>();
			for (int i = 0; i < part.length - 1; i++) refs.add(part[i].trim());
			String test = part[part.length - 1].trim();
			MeteorStats s = scorer.getMeteorStats(test, refs);
			MeteorStats parsed = new MeteorStats(s.toString());
			scorer.computeMetrics(parsed);
			out.println(parsed.score + " " + s.toString());
			agg.addStats(parsed);
		}
		scorer.computeMetrics(agg);
		out.println("FINAL " + agg.score);
	}
}
